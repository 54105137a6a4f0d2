"""Rasa's SQL tracker store with the trackers it last read or saved kept in memory (Rasa's Python
3.10; installed by `assistant.rasa.main`).

Rasa 3.6's `SQLTrackerStore.retrieve` loads every event of the conversation's session and replays
them into a new tracker on every turn (so a turn costs more the longer the conversation), and
`save` counts the stored events with a sub-query to find the new ones. Here the tracker a turn
read or saved is kept (bounded, least recently used first out) and handed to the next turn of the
same conversation when the database shows nothing happened in between: the conversation's newest
event id is still the one seen when it was read or written, and the tracker holds exactly the
events it held then; its save then writes only the events appended since (no count of the stored
events; the new rows' ids are the conversation's newest). A new conversation (no event of it
stored) is not read back at all: its retrieve returns None after one look at the newest event
id, and its first save writes every event without a count and keeps the tracker. Anything else
(another Rasa process or replica wrote to the conversation, a turn failed between retrieve and
save, a session started, a tracker object other than the kept one) falls back to Rasa's own read
and count. Every turn is still committed to the database before its reply goes out, so a killed
process loses nothing.
Like Rasa's own store, it relies on the lock store to run one conversation's turns one at a time.

`GRADREC_TRACKER_CACHE`: how many conversations to keep (default 2000; 0 turns the cache off).
"""

from __future__ import annotations

import itertools
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Optional

import rasa.core.tracker_store as rasa_tracker_store
import sqlalchemy as sa
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

CACHE_ENV = "GRADREC_TRACKER_CACHE"
DEFAULT_CACHE_SIZE = 2000


@dataclass
class _Saved:
    tracker: DialogueStateTracker
    events: int  # len(tracker.events) when it was read or saved: the events the database holds
    last_id: int  # the conversation's newest event id in the database then


class CachingSQLTrackerStore(rasa_tracker_store.SQLTrackerStore):
    """`SQLTrackerStore` that reuses the tracker it read or saved last when the database agrees."""

    def __init__(self, *args: Any, cache_size: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cache_size is None:
            cache_size = int(os.environ.get(CACHE_ENV, DEFAULT_CACHE_SIZE))
        if cache_size < 0:
            raise ValueError(f"{CACHE_ENV} must be 0 or more, not {cache_size}")
        self.cache_size = cache_size
        self._saved: OrderedDict[str, _Saved] = OrderedDict()
        self.hits = self.misses = 0
        events = self.SQLEvent.__table__
        self._insert = events.insert()
        self._last_id_query = sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sa.bindparam("sender_id"))

    def _last_id(self, session: Any, sender_id: str) -> int:
        """The conversation's newest event id (a Core statement, compiled once and cached)."""
        return int(session.execute(self._last_id_query, {"sender_id": sender_id}).scalar() or 0)

    def _unchanged(self, session: Any, sender_id: str) -> Optional[_Saved]:
        """The kept entry of `sender_id` if the database still ends where it did when the entry
        was made (dropped otherwise)."""
        saved = self._saved.get(sender_id)
        if saved is not None and self._last_id(session, sender_id) != saved.last_id:
            del self._saved[sender_id]
            return None
        return saved

    def _keep(self, sender_id: str, entry: _Saved) -> None:
        self._saved[sender_id] = entry
        self._saved.move_to_end(sender_id)
        while len(self._saved) > self.cache_size:
            self._saved.popitem(last=False)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the conversation's latest session (see the module's docstring)."""
        if not self.cache_size:
            return await super().retrieve(sender_id)
        with self.session_scope() as session:
            saved = self._unchanged(session, sender_id)
            if saved is not None and len(saved.tracker.events) == saved.events:
                self.hits += 1
                self._saved.move_to_end(sender_id)
                return saved.tracker
            # never kept, or changed since, in the database or in memory (a turn that failed)
            self._saved.pop(sender_id, None)
            last_id = self._last_id(session, sender_id)  # read first: a later write shows as a change
        self.misses += 1
        if last_id == 0:  # no event of the conversation stored: Rasa's query would find none
            return None
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._keep(sender_id, _Saved(tracker, len(tracker.events), last_id))
        return tracker

    def _row(self, sender_id: str, event: Any) -> Dict[str, Any]:
        """The database row of one event, as Rasa's `SQLTrackerStore.save` builds it."""
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data)}

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events not stored yet and commit (before this returns). They are the events
        after the kept ones when this is the kept tracker and the database still ends where it
        did; all of them when the database holds no event of the conversation (kept then too);
        else, as Rasa decides, those after as many events as the database holds, and the tracker
        is not kept (nor when a new session started within it: that is read back from the
        session's start)."""
        if not self.cache_size:
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            saved = self._unchanged(session, sender_id)
            kept = (saved if saved is not None and saved.tracker is tracker and len(tracker.events) >= saved.events
                    else None)
            # a conversation the database holds no event of (a new one): every event is new, as
            # Rasa's count (0) would say, and the tracker can be kept like one read back
            first = kept is None and saved is None and self._last_id(session, sender_id) == 0
            if kept is not None:
                new = list(itertools.islice(tracker.events, kept.events, len(tracker.events)))
            elif first:
                new = list(tracker.events)
            else:
                new = list(super()._additional_events(session, tracker))
            rows = [self._row(sender_id, event) for event in new]
            if rows:  # one INSERT of every new row; the last one's id is the conversation's newest
                session.execute(self._insert, rows)
                last_id = self._last_id(session, sender_id)
            else:
                last_id = saved.last_id if saved is not None else self._last_id(session, sender_id)
            session.commit()
        keep = (kept is not None or (first and bool(rows))) and not any(isinstance(e, SessionStarted) for e in new)
        if not keep:
            self._saved.pop(sender_id, None)
            return
        self._keep(sender_id, _Saved(tracker, len(tracker.events), last_id))


def install() -> None:
    """Make `type: SQL` in endpoints.yml build this store (Rasa looks the class up by name)."""
    rasa_tracker_store.SQLTrackerStore = CachingSQLTrackerStore  # type: ignore[misc]
