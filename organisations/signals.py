"""Signals organisations sends for other apps to react to. `organisations` must not import
`letters`, so a change that letters' pages show is announced here, not handled here."""

from django.dispatch import Signal

# Sent inside update_organisation's transaction when what the public sees of an organisation
# changed. Arguments: organisation, fields (the names of the changed fields).
public_details_changed = Signal()
