"""The One Glance page's HTTP and WebSocket surface: thin routes over a local or remote service."""
