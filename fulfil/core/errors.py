"""One small error hierarchy for rule violations a person can act on."""


class FulfilError(Exception):
    """A problem with a message meant for a person, shown as one line."""


class ForbiddenTransition(FulfilError):
    pass


class UnknownOrder(FulfilError):
    pass


class ConfigError(FulfilError):
    pass
