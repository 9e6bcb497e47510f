"""Who is calling: sign-in and the verified principal.

The API never trusts a caller's claim about its organisation: the authorizer has verified
the JWT (signature, issuer, audience, expiry), and the organisation bound to the account in
the user pool is looked up in the table to get its place in the tree."""

from __future__ import annotations

from collections.abc import Mapping

from zhtj.domain.errors import NotAuthorised
from zhtj.domain.glossary import Role
from zhtj.domain.orgs import Principal
from zhtj.services.errors import AuthenticationFailed, InvalidRequest
from zhtj.services.ports import IdentityProvider, OrganisationRepository, SignInResult

ORG_CLAIM = "custom:org_id"
ROLE_CLAIM = "custom:role"
USERNAME_CLAIM = "cognito:username"


def sign_in(username: str, password: str, identity: IdentityProvider) -> SignInResult:
    if not username.strip() or not password:
        raise InvalidRequest("credentials_required", "请输入用户名和密码")
    try:
        return identity.sign_in(username.strip(), password)
    except AuthenticationFailed:
        raise
    except Exception as exc:  # the identity service itself failed, not the user
        raise AuthenticationFailed("sign_in_unavailable", "登录服务暂时不可用，请稍后重试") from exc


def principal_from_claims(claims: Mapping[str, object], orgs: OrganisationRepository) -> Principal:
    """Build the caller from verified JWT claims. Missing or unknown bindings are refused
    (401-style) rather than defaulted: an account without an organisation administers nothing."""
    org_id = str(claims.get(ORG_CLAIM) or "")
    role_text = str(claims.get(ROLE_CLAIM) or "")
    username = str(claims.get(USERNAME_CLAIM) or claims.get("sub") or "")
    if not org_id or not role_text:
        raise NotAuthorised("account_unbound", "该账号未绑定团组织，请联系上级团委管理员")
    try:
        role = Role(role_text)
    except ValueError:
        raise NotAuthorised("account_role_unknown", "该账号的角色无效，请联系上级团委管理员") from None
    org = orgs.get(org_id)
    if org is None:
        raise NotAuthorised("account_org_missing", "该账号绑定的团组织不存在，请联系上级团委管理员")
    return Principal(username=username, org_id=org.org_id, org_path=org.path, role=role)
