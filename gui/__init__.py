"""The Qt window. It calls only the service layer and holds no rules of its own."""
