"""Asset checks of the free-throw domain; ``definitions.py`` loads this package."""
