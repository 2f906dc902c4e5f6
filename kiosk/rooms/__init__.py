"""Video rooms: the state machine, tablet pairing, the door panel and the board."""
