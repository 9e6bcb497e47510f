"""Cognito user pool adapter (IdentityProvider)."""

from __future__ import annotations

from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.services.errors import AuthenticationFailed, Conflict
from zhtj.services.identity import ORG_CLAIM, ROLE_CLAIM
from zhtj.services.ports import SignInResult


class CognitoIdentityProvider:
    def __init__(self, clients: ClientFactory, user_pool_id: str, client_id: str) -> None:
        self._clients = clients
        self._user_pool_id = user_pool_id
        self._client_id = client_id

    @property
    def _client(self) -> Any:
        return self._clients.client("cognito-idp")

    def sign_in(self, username: str, password: str) -> SignInResult:
        client = self._client
        try:
            result = client.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except (client.exceptions.NotAuthorizedException, client.exceptions.UserNotFoundException):
            raise AuthenticationFailed("bad_credentials", "用户名或密码错误") from None
        if "AuthenticationResult" not in result:
            # e.g. NEW_PASSWORD_REQUIRED for an account whose temporary password was never changed
            raise AuthenticationFailed(
                "password_change_required", "首次登录须修改初始密码，请联系上级团委管理员重置密码"
            )
        auth = result["AuthenticationResult"]
        return SignInResult(
            id_token=auth["IdToken"],
            expires_in=int(auth.get("ExpiresIn", 3600)),
            refresh_token=auth.get("RefreshToken"),
        )

    def create_admin(self, *, username: str, password: str, org_id: str, role: str,
                     email: str | None = None) -> None:
        client = self._client
        attributes = [
            {"Name": ORG_CLAIM, "Value": org_id},
            {"Name": ROLE_CLAIM, "Value": role},
        ]
        if email:
            attributes.append({"Name": "email", "Value": email})
        try:
            client.admin_create_user(
                UserPoolId=self._user_pool_id,
                Username=username,
                UserAttributes=attributes,
                MessageAction="SUPPRESS",
            )
        except client.exceptions.UsernameExistsException:
            raise Conflict("account_exists", f"账号“{username}”已存在") from None
        client.admin_set_user_password(
            UserPoolId=self._user_pool_id, Username=username, Password=password, Permanent=True
        )
