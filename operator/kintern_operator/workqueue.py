"""The queue of campaigns to reconcile, as controller-runtime's work queue does it.

Watch events and the resync add campaign keys; the reconciler's worker threads take them.
A key already waiting is not added twice (the reconcile still to come reads the cluster
after every event that asked for it), a key being reconciled is never taken by a second
worker, and a key added meanwhile is queued again once that reconcile ends. Handlers
return at once, so kopf holds no event body while a reconcile waits for a worker.
"""

import threading
from collections import deque

Key = tuple[str, str]  # (namespace, campaign)


class WorkQueue:
    """Thread-safe; `get` blocks until a key is ready or the queue is closed."""

    def __init__(self) -> None:
        self._ready: deque[Key] = deque()
        self._waiting: set[Key] = set()  # in _ready
        self._running: set[Key] = set()
        self._again: set[Key] = set()  # added while running: queue once more after
        self._closed = False
        self._cond = threading.Condition()

    def add(self, key: Key) -> None:
        with self._cond:
            if key in self._running:
                self._again.add(key)
            elif key not in self._waiting:
                self._waiting.add(key)
                self._ready.append(key)
                self._cond.notify()

    def get(self) -> Key | None:
        """The next key to reconcile (now marked running), or None once closed."""
        with self._cond:
            while not self._ready and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            key = self._ready.popleft()
            self._waiting.discard(key)
            self._running.add(key)
            return key

    def done(self, key: Key) -> None:
        """The reconcile of `key` ended; if it was added meanwhile, it is ready again."""
        with self._cond:
            self._running.discard(key)
            if key in self._again:
                self._again.discard(key)
                self._waiting.add(key)
                self._ready.append(key)
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._ready)
