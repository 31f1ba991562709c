"""flowyard worker type ``kubernetes``: each flow run is a ``batch/v1`` Job (see :mod:`.worker`)."""
