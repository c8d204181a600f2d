from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, EmailStr, Field, field_validator

from ba_assistant.schemas import NonBlank, ReadModel, UTCDatetime


class UserRead(ReadModel):
    id: str
    email: str
    name: str
    avatar_url: str | None
    created_at: UTCDatetime


class DevLoginRequest(BaseModel):
    email: EmailStr
    name: Annotated[str, NonBlank] = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("Name is required")
        return value


class AccessToken(BaseModel):
    """In web cookie mode the refresh token is in an HttpOnly cookie, not in the body."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshedTokens(AccessToken):
    refresh_token: str = Field(
        description="Use once: each refresh returns a new one and the old one stops working"
    )


class TokenResponse(RefreshedTokens):
    user: UserRead


class CookieSignIn(AccessToken):
    user: UserRead


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class ProviderRead(BaseModel):
    id: str = Field(description="google, microsoft, oidc, or dev (development only)")
    name: str = Field(description="What the sign-in button says: 'Sign in with <name>'")


class ProvidersRead(BaseModel):
    providers: list[ProviderRead]


class OAuthStart(BaseModel):
    redirect_uri: str = Field(
        min_length=1,
        max_length=2000,
        description="Where the browser returns with #login_code=…: a path of this web app, "
        "or a URL listed in ALLOWED_REDIRECT_URIS",
    )


class AuthUrl(BaseModel):
    auth_url: str


class LoginCodeRequest(BaseModel):
    login_code: str = Field(min_length=1, max_length=200)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(None, max_length=200)
