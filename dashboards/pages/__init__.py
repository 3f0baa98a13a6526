"""The dashboards' pages; Dash loads each module that calls ``register_page``."""
