"""What every layer may use: errors, time, strict config models, the bundled declarations."""
