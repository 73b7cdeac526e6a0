"""The local stack: moto, a bedrock-runtime emulator, a local API gateway, log shipping, the console.

Everything listens on 127.0.0.1. See docs/local-stack.md.
"""
