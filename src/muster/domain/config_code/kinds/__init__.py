"""One module per kind of configuration object (see ``muster.domain.config_code.kind``)."""
