"""Every write billing makes, one module per job (fee schedules, imports, charges, claims,
the scrubber). Import from the module: ``from medoffice.billing.services.charges import ...``."""
