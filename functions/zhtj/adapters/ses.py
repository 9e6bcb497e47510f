"""SES adapter: sends one e-mail to one recipient (implements ``zhtj.services.approvals.Mailer``).

One message per recipient, never a shared To/Cc list: an approval link is personal (its token
is bound to one approver), and no admin learns another admin's address. The sender is the
verified identity ``settings.sender_email`` (template.yaml → SenderIdentity). The client is
created lazily by the ClientFactory (a client made at import time would escape moto).

The local stack's SES (moto) keeps what is sent; ``/outbox/`` shows it (infra/local/front.py).
"""

from __future__ import annotations

from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.mail import Rendered

CHARSET = "UTF-8"


class SesMailer:
    def __init__(self, clients: ClientFactory, sender: str) -> None:
        self._clients = clients
        self.sender = sender

    @property
    def client(self) -> Any:
        return self._clients.client("ses")

    def send(self, to: str, message: Rendered) -> str:
        """Send ``message`` to ``to``; returns SES's message id. Raises on any SES error (the
        callers decide whether to retry)."""
        result = self.client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": message.subject, "Charset": CHARSET},
                "Body": {"Text": {"Data": message.text, "Charset": CHARSET},
                         "Html": {"Data": message.html, "Charset": CHARSET}},
            },
        )
        return str(result["MessageId"])
