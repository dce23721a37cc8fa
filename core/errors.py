"""The root of every app's domain errors. Views turn them into form errors or messages."""


class DomainError(Exception):
    """An operation that the rules do not allow; raised before anything was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class TransitionError(DomainError):
    """A state change that is not allowed from the current state."""


class NotAllowed(DomainError):
    """The actor may not do this."""
