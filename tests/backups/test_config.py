"""[[destination]] tables: validated at load time, errors name the file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import append_toml
from tui_backup.config import load_config
from tui_backup.errors import ConfigError


def _load_with(config: Path, text: str) -> None:
    append_toml(config, text)
    load_config(config)


def test_good_destinations(profile_config: Path, tmp_path: Path) -> None:
    append_toml(profile_config, '[[destination]]\nname = "usb"\ntype = "local"\npath = "drive"\narchive = true\n')
    cfg = load_config(profile_config)
    (d,) = cfg.destinations
    assert d.name == "usb" and d.type == "local" and d.table["archive"] is True
    assert d.line is not None and d.profile == "app"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[destination]]\ntype = "local"\npath = "/x"\n', "missing required key 'name'"),
        ('[[destination]]\nname = "bad name"\ntype = "local"\npath = "/x"\n', "invalid or missing destination name"),
        ('[[destination]]\nname = "a"\npath = "/x"\n', "missing required key 'type'"),
        ('[[destination]]\nname = "a"\ntype = "ftp"\npath = "/x"\n', "unknown destination type 'ftp'"),
        ('[[destination]]\nname = "a"\ntype = "local"\n', "missing required key 'path'"),
        ('[[destination]]\nname = "a"\ntype = "local"\npath = "/x"\ncolour = "red"\n', "unknown key 'colour'"),
        ('[[destination]]\nname = "a"\ntype = "local"\npath = "/x"\narchive = "yes"\n', "must be true or false"),
        (
            '[[destination]]\nname = "a"\ntype = "local"\npath = "/x"\n\n[[destination]]\nname = "a"\ntype = "local"\npath = "/y"\n',
            "duplicate destination name 'a'",
        ),
    ],
)
def test_bad_destinations(profile_config: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load_with(profile_config, text)
    assert fragment in err.value.message
    assert str(profile_config) in err.value.message


def test_unknown_key_error_names_its_line(profile_config: Path) -> None:
    before = len(profile_config.read_text().splitlines())
    with pytest.raises(ConfigError) as err:
        _load_with(profile_config, '[[destination]]\nname = "a"\ntype = "local"\npath = "/x"\ncolour = "red"\n')
    assert err.value.line == before + 6  # the blank separator line, the header, name, type, path, colour


def test_destination_must_be_an_array_of_tables(profile_config: Path) -> None:
    profile_config.write_text('destination = "x"\n' + profile_config.read_text())
    with pytest.raises(ConfigError) as err:
        load_config(profile_config)
    assert "must be an array of tables" in err.value.message and err.value.line == 1


def test_type_whose_module_is_missing(profile_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui_backup.destinations as registry

    monkeypatch.setattr(registry, "TYPES", (*registry.TYPES, "nonesuch"))
    with pytest.raises(ConfigError) as err:
        _load_with(profile_config, '[[destination]]\nname = "a"\ntype = "nonesuch"\n')
    assert "not available in this version" in err.value.message and "local" in err.value.hint
