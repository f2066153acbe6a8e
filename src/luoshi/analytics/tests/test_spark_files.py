"""Where the Spark runner keeps its files (no Java needed)."""

from __future__ import annotations

from luoshi.analytics import spark


def test_spark_files_live_in_the_data_directory(settings, tmp_path):
    # The README promises the local cluster's pid files and logs under $LUOSHI_DATA_DIR/spark/.
    settings.DATA_DIR = tmp_path / "data"
    assert spark.work_dir() == tmp_path / "data" / "spark"
    assert (tmp_path / "data" / "spark").is_dir()
