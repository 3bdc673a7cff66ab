from analysis import config


def test_paths_are_under_the_checkout():
    assert (config.ROOT / "pyproject.toml").exists()
    assert config.FRAME_FILE.exists() and config.MANIFEST_FILE.exists()


def test_output_dir_is_redirectable(output_dir):
    assert config.reports_dir() == output_dir / "reports"
    assert config.tables_dir() == output_dir / "reports" / "tables"
    assert config.figures_dir() == output_dir / "figures"
