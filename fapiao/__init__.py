"""fapiao-stream: issue Chinese VAT invoices (发票, 数电票) from an ERP through Kafka."""

__version__ = "0.1.0"
