"""Live migration: the relocation server, the sender, and the stream formats.

* :mod:`.frames` -- the relocation protocol's messages as bytes (pure);
* :mod:`.channel` -- framed, timed I/O on one connection, and the pumps
  that carry a backend's image over it;
* :mod:`.tls` -- certificate-verifying TLS contexts;
* :mod:`.outcomes` -- what became of each incoming migration, kept on disk;
* :mod:`.send` / :mod:`.receive` -- both ends of a migration;
* :mod:`.server` -- the relocation listener inside xend;
* :mod:`.xlformat` -- xl's save header and migrate handshake (bytes);
* :mod:`.xl` -- migration to and from hosts that run plain xl.
"""
