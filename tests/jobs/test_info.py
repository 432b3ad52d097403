"""`nasbench info` summarises a table and fails clearly on unknown names."""
from pathlib import Path

from nasbench.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"


def test_info_lists_metrics_units_and_coverage(capsys):
    assert main(["info", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "%" in out
    for m in ("val_acc", "test_acc", "params"):
        assert m in out
    assert "epoch_of_schedule" in out or "schedule_length" in out


def test_info_unknown_name_is_an_error(tmp_path, capsys):
    assert main(["info", "no-such-table", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no-such-table" in err
