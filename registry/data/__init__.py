"""Reference data shipped with the registry: Bangladesh's districts and the ICT product taxonomy."""
