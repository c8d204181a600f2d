"""Every table, imported here so that metadata and Alembic see them all."""

from ba_assistant.models.artifact import Artifact, ArtifactVersion
from ba_assistant.models.base import Base
from ba_assistant.models.document import Document, DocumentChunk
from ba_assistant.models.project import Project
from ba_assistant.models.thread import Message, Thread, ToolCall
from ba_assistant.models.usage import AIUsage
from ba_assistant.models.user import LoginCode, OAuthState, User, UserSession

__all__ = [
    "AIUsage",
    "Artifact",
    "ArtifactVersion",
    "Base",
    "Document",
    "DocumentChunk",
    "LoginCode",
    "Message",
    "OAuthState",
    "Project",
    "Thread",
    "ToolCall",
    "User",
    "UserSession",
]
