"""Date and number formats for ACCORD_DATE_FORMAT=iso (settings.FORMAT_MODULE_PATH points here)."""
