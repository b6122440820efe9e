"""Investigation records of an incident: observables (IPs, domains, hashes ... with TLP),
affected assets with their compromise status, and MITRE ATT&CK techniques."""
