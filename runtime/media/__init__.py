"""Audio for voice calls: text spoken by TTS, recorded prompts, G.711 for the wire."""
