FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY api api
COPY migrations migrations
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["sh", "-c", "gakuseki migrate && gakuseki serve --host 0.0.0.0 --port 8000"]
