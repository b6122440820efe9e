"""Sites: buildings and places, their zones, the devices placed in them (cameras, door
controllers, sensors, network segments and hosts), and what those devices report."""
