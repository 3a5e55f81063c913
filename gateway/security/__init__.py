"""Who is calling and how they prove it: officers by JWT, devices by signed requests."""
