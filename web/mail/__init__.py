"""E-mail through an outbox: a row written in the transaction of the change it announces
(:func:`web.mail.outbox.enqueue`), delivered after the commit by the ``mail send`` worker
(:func:`web.mail.delivery.deliver_pending`) over SMTP, or kept for the local mailbox
(``/dev/mailbox``) in the embedded default."""
