"""The real writer/reader processes of the snapshot tests, for the export tests too."""

from tests.snapshots.conftest import db_process  # noqa: F401  (a fixture)
