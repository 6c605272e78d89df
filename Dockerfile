# The image compose.yaml builds: the service and its console script, nothing else.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY adapters ./adapters
COPY api ./api
COPY emulator ./emulator
RUN pip install --no-cache-dir . && useradd --system --no-create-home ledger
USER ledger
ENV HOST=0.0.0.0 PORT=4242
EXPOSE 4242
CMD ["checkout-ledger", "serve"]
