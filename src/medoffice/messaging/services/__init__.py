"""Every write messaging makes, one door per change.

- :mod:`.messages` — ``queue_message``, ``cancel_message``, ``retry_message``,
  ``mark_failure_handled``, ``opt_out``, ``opt_in``
- :mod:`.reminders` — ``plan_reminders``, ``sync_reminders_for``
- :mod:`.sending` — ``claim_due``, ``deliver``, ``send_due_messages``
- :mod:`.setup` — ``save_template``, ``add_reminder_rule``, ``set_rule_active``
- :mod:`.composing` — the words of a message (templates filled in)
- :mod:`.notices` — ``queue_notice``, ``cancel_notices``: one-off notices about no visit
  (a payment plan's reminders), one message per topic
"""
