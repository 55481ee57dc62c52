"""Reports, month close and exports (reserved; built by the reports issue)."""
