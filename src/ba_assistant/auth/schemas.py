from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field, field_validator

from ba_assistant.schemas import ReadModel, UTCDatetime


class UserRead(ReadModel):
    id: str
    email: str
    name: str
    avatar_url: str | None
    created_at: UTCDatetime


class DevLoginRequest(BaseModel):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("Name is required")
        return value


class RefreshedTokens(BaseModel):
    access_token: str
    refresh_token: str = Field(
        description="Use once: each refresh returns a new one and the old one stops working"
    )
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")


class TokenResponse(RefreshedTokens):
    user: UserRead


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(None, max_length=200)
