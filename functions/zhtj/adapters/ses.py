"""SES adapter: sends one e-mail to one recipient (implements ``zhtj.services.approvals.Mailer``).

One message per recipient, never a shared To/Cc list: an approval link is personal (its token
is bound to one approver), and no admin learns another admin's address. The sender is the
verified identity ``settings.sender_email`` (template.yaml → SenderIdentity). The client is
created lazily by the ClientFactory (a client made at import time would escape moto).

Mail goes out with SendTemplatedEmail: the template is this stage's copy of the package's
(``settings.mail_template_prefix`` + the name; template.yaml → ``MailTemplate*``), the
TemplateData what :func:`zhtj.mail.render` inserted into each part, already escaped — so SES
renders what ``render()`` rendered (tests/unit/test_ses_templates.py).

The local stack's SES (moto) keeps what is sent, unrendered; ``/outbox/`` renders it from the
stored template (infra/local/stack.py → ses_outbox) and shows it (infra/local/front.py).
"""

from __future__ import annotations

import json
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.mail import Rendered


class SesMailer:
    def __init__(self, clients: ClientFactory, sender: str, template_prefix: str) -> None:
        self._clients = clients
        self.sender = sender
        self.template_prefix = template_prefix

    @property
    def client(self) -> Any:
        return self._clients.client("ses")

    def send(self, to: str, message: Rendered) -> str:
        """Send ``message`` to ``to``; returns SES's message id. Raises on any SES error (the
        callers decide whether to retry)."""
        if not message.template:
            raise ValueError("only a message from zhtj.mail.render() can be sent (it names its template)")
        result = self.client.send_templated_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Template=self.template_prefix + message.template,
            TemplateData=json.dumps(dict(message.data)),
        )
        return str(result["MessageId"])
