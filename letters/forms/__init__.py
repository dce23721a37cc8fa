"""The letters forms, one module per sub-domain. They validate input only: every write goes
through letters.services, never Form.save()."""
