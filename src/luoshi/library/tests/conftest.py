import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Attachments go to a temporary media directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
