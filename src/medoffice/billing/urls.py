"""The billing pages: ready to bill, charge entry, claims, the fee schedule, scrubber rules."""

from django.urls import path

from medoffice.billing.views import ar, charges, claims, denials, fees
from medoffice.billing.views import remittances as remit

urlpatterns = [
    path("billing/ready/", charges.ready_to_bill, name="billing_ready"),
    path("billing/visits/<int:appointment_pk>/charges/", charges.charge_new, name="charge_new"),
    path("billing/charges/<int:pk>/", charges.charge_edit, name="charge_edit"),
    path("billing/claims/", claims.claim_list, name="claim_list"),
    path("billing/claims/scrub/", claims.scrub_listed, name="claims_scrub"),
    path("billing/claims/ready/", claims.ready_listed, name="claims_ready"),
    path("billing/claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("billing/claims/<int:pk>/action/", claims.claim_action, name="claim_action"),
    path("billing/scrub-rules/", claims.scrub_rules, name="scrub_rules"),
    path("billing/batches/", claims.batch_list, name="batch_list"),
    path("billing/batches/new/", claims.batch_create, name="batch_create"),
    path("billing/batches/<int:pk>/837p/", claims.batch_download, name="batch_download"),
    path("billing/batches/<int:pk>/send/", claims.batch_send, name="batch_send"),
    path("billing/acknowledgements/", claims.ack_import, name="ack_import"),
    path("billing/denials/", denials.denial_queue, name="denial_queue"),
    path("billing/denials/stats/", denials.denial_stats, name="denial_stats"),
    path("billing/denials/<int:pk>/", denials.denial_detail, name="denial_detail"),
    path("billing/denials/<int:pk>/action/", denials.denial_action, name="denial_action"),
    path("billing/denials/<int:pk>/appeal.pdf", denials.appeal_letter, name="appeal_letter"),
    path("billing/write-offs/", denials.write_offs, name="write_offs"),
    path("billing/write-offs/<int:pk>/decide/", denials.write_off_decide, name="write_off_decide"),
    path("billing/underpayments/", denials.underpayments, name="underpayments"),
    path("billing/underpayments.csv", denials.underpayments_csv, name="underpayments_csv"),
    path("billing/fees/", fees.fee_schedule, name="fee_schedule"),
    path("billing/fees/new/", fees.service_edit, name="service_add"),
    path("billing/fees/<int:pk>/", fees.service_edit, name="service_edit"),
    path("billing/fees/<int:pk>/payer-fees/", fees.payer_fee_add, name="payer_fee_add"),
    path("billing/fees/import/", fees.fee_import_page, name="fee_import"),
    path("billing/fees/export/<str:kind>/", fees.fee_export, name="fee_export"),
    path("billing/fees/starter/", fees.load_starter, name="fee_starter"),
    path("billing/ar/", ar.ar_aging, name="ar_aging"),
    path("billing/ar/visits/", ar.ar_visits, name="ar_visits"),
    path("billing/ar/close/", ar.period_close, name="period_close"),
    path("billing/remittances/", remit.remittance_list, name="remittance_list"),
    path("billing/remittances/import/", remit.remittance_import, name="remittance_import"),
    path("billing/remittances/unmatched/", remit.remittance_unmatched, name="remittance_unmatched"),
    path("billing/remittances/<int:pk>/", remit.remittance_detail, name="remittance_detail"),
    path("billing/claim-payments/<int:pk>/match/", remit.claim_payment_match, name="cp_match"),
    path("billing/claim-payments/<int:pk>/dismiss/", remit.claim_payment_dismiss, name="cp_drop"),
]
