"""The camera, microphone and sound check before a video meeting."""
