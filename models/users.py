"""Users and their API keys (stored only as a keyed hash)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from peewee import (
    BigAutoField,
    BlobField,
    CharField,
    IntegrityError,
    Model,
)
from playhouse.postgres_ext import DateTimeTZField

from models.db import db


class User(Model):
    id = BigAutoField()
    name = CharField(max_length=255)
    email = CharField(max_length=254)
    api_key_hash = BlobField(unique=True)
    created_at = DateTimeTZField()

    class Meta:
        database = db
        table_name = "users"


class UserRow(NamedTuple):
    id: int
    name: str
    email: str
    created_at: datetime


class EmailTaken(Exception):
    """Another user has this e-mail address (compared without regard to case)."""


def create_user(name: str, email: str, api_key_hash: bytes) -> UserRow:
    """Insert a user; raises :class:`EmailTaken` when the address is in use."""
    try:
        with db.atomic():
            row = (
                User.insert(name=name, email=email, api_key_hash=api_key_hash)
                .returning(User.id, User.name, User.email, User.created_at)
                .tuples()
                .execute()
            )
            return UserRow(*next(iter(row)))
    except IntegrityError as error:
        # The only unique constraints a new user can break are the e-mail and the key hash,
        # and a 256-bit random key does not collide.
        raise EmailTaken(email) from error


def get_user(user_id: int) -> UserRow | None:
    cursor = db.execute_sql(
        "SELECT id, name, email, created_at FROM users WHERE id = %s", (user_id,)
    )
    row = cursor.fetchone()
    return UserRow(*row) if row else None


def user_id_for_key_hash(api_key_hash: bytes) -> int | None:
    """The id of the user whose key hashes to ``api_key_hash`` (one indexed lookup)."""
    cursor = db.execute_sql("SELECT id FROM users WHERE api_key_hash = %s", (api_key_hash,))
    row = cursor.fetchone()
    return row[0] if row else None


def replace_key_hash(user_id: int, current_hash: bytes, new_hash: bytes) -> bool:
    """Swap the user's key, only if ``current_hash`` is still its key: of two rotations with
    the same key at once, one wins and the other finds the key already gone."""
    cursor = db.execute_sql(
        "UPDATE users SET api_key_hash = %s WHERE id = %s AND api_key_hash = %s RETURNING id",
        (new_hash, user_id, current_hash),
    )
    return cursor.fetchone() is not None
