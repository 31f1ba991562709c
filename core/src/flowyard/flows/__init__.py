"""The flow SDK: ``@flow``, running flows locally, deploying and serving them."""
