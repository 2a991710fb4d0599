"""Use cases: one function per action, one transaction each, with audit entries and events."""

from deconflict.service.context import Principal, Service, Unprocessable

__all__ = ["Principal", "Service", "Unprocessable"]
