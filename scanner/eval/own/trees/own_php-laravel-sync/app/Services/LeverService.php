<?php

namespace App\Services;

use GuzzleHttp\Client;

/** Lever, the other ATS some subsidiaries still use. */
class LeverService
{
    private Client $http;

    public function __construct(private string $apiKey)
    {
        $this->http = new Client([
            'base_uri' => 'https://api.lever.co/v1/',
            'auth' => [$this->apiKey, ''],
        ]);
    }

    public function candidates(): array
    {
        return json_decode((string) $this->http->get('candidates')->getBody(), true);
    }

    public function users(): array
    {
        return json_decode((string) $this->http->get('users')->getBody(), true);
    }
}
