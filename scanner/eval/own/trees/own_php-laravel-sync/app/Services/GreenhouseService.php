<?php

namespace App\Services;

use GuzzleHttp\Client;

class GreenhouseService
{
    private Client $http;

    public function __construct(private string $apiKey, private int $actingUserId)
    {
        $this->http = new Client([
            'base_uri' => 'https://harvest.greenhouse.io/v1/',
            'auth' => [$this->apiKey, ''],
            'timeout' => 30,
        ]);
    }

    public function applications(int $page = 1): array
    {
        $res = $this->http->get('applications', ['query' => ['page' => $page, 'per_page' => 500]]);
        return json_decode((string) $res->getBody(), true);
    }

    public function application(int $id): array
    {
        $res = $this->http->get("applications/{$id}");
        return json_decode((string) $res->getBody(), true);
    }

    public function moveStage(int $applicationId, int $from, int $to): void
    {
        $this->http->request('POST', "applications/{$applicationId}/move", [
            'headers' => ['On-Behalf-Of' => (string) $this->actingUserId],
            'json' => ['from_stage_id' => $from, 'to_stage_id' => $to],
        ]);
    }

    public function updateCandidate(int $id, array $fields): void
    {
        $this->http->patch('candidates/' . $id, [
            'headers' => ['On-Behalf-Of' => (string) $this->actingUserId],
            'json' => $fields,
        ]);
    }

    public function departments(): array
    {
        return json_decode((string) $this->http->get('departments')->getBody(), true);
    }
}
