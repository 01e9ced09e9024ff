"""The sales workspace: server-rendered pages where reps see their leads, why, and what to
offer (``/workspace``), behind a login of their own."""
