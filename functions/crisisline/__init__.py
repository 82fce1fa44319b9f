"""Domain code shared by crisisline's functions: settings, models, the store, tokens, time and money."""
