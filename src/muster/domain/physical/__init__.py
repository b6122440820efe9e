"""Physical-security intake: Frigate NVR reports and access-control events become site
events, alerts and device health (parsing lives in :mod:`muster.integrations`)."""
