"""Fixtures for the destination-trash tests: the loopback sshd of tests/remote."""

from tests.remote.conftest import sshd, sshd_server  # noqa: F401
