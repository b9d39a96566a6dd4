"""Test doubles the project owns: fakes of outside services that speak their real wire shapes."""
