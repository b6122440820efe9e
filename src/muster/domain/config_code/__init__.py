"""Configuration as code: export the configuration as YAML files, plan and apply them."""
